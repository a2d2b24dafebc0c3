import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Product } from './shop-catalog';

export interface Order {
  id: string;
  product: Product;
  requestId?: number;
  processUrl?: string;
  status: string;
}

/** The sample's orders, in memory. */
@Injectable()
export class OrdersStore {
  private readonly orders = new Map<string, Order>();

  create(product: Product): Order {
    const order: Order = { id: randomUUID().slice(0, 8).toUpperCase(), product, status: 'NEW' };
    this.orders.set(order.id, order);
    return order;
  }

  get(id: string): Order | undefined {
    return this.orders.get(id);
  }

  all(): Order[] {
    return [...this.orders.values()];
  }
}
