export interface Product {
  sku: string;
  name: string;
  price: number;
  currency: string;
}

export const CATALOG: readonly Product[] = [
  { sku: 'COFFEE-250', name: 'Huila coffee, 250 g', price: 32000, currency: 'COP' },
  { sku: 'COFFEE-500', name: 'Nariño coffee, 500 g', price: 58500, currency: 'COP' },
  { sku: 'MUG', name: 'Enamel mug', price: 45000, currency: 'COP' },
];
