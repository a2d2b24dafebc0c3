import { PLACETOPAY_ENTITIES, PLACETOPAY_MIGRATIONS } from 'nestjs-placetopay';
import { DataSource } from 'typeorm';
import { SHOP_MIGRATIONS } from '../../sample/shop-migrations';
import { ShopOrder } from '../../sample/shop-order.entity';
import { insertRawRows } from '../support/raw-rows';

// The sample runs on SQLite only (better-sqlite3), as a fresh clone does.
describe("the sample shop's migrations", () => {
  let dataSource: DataSource;

  beforeEach(async () => {
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [...PLACETOPAY_ENTITIES, ShopOrder],
      migrations: [...PLACETOPAY_MIGRATIONS, ...SHOP_MIGRATIONS],
    });
    await dataSource.initialize();
    await dataSource.runMigrations();
  });
  afterEach(() => dataSource.destroy());

  it('make the schema the entities describe: TypeORM sees no pending change', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it("move an order of the single-site shop, and its payment, to Colombia's site", async () => {
    // Back to the one-site shop: before the module's AddSite (and what came after it, the shop's
    // AddShopOrderSite among them), in the order TypeORM runs them: by timestamp.
    const timestamp = (name: string) => Number(/\d{13}$/.exec(name)![0]);
    const after = [...PLACETOPAY_MIGRATIONS, ...SHOP_MIGRATIONS]
      .map((migration) => migration.name)
      .filter((name) => timestamp(name) >= timestamp('AddSite1764231000000'))
      .sort((a, b) => timestamp(a) - timestamp(b));
    for (let i = 0; i < after.length; i++) await dataSource.undoLastMigration();
    const now = new Date();
    await insertRawRows(dataSource, 'shop_orders', [
      {
        id: 'A1B2C3D4',
        sku: 'COFFEE-250',
        productName: 'Huila coffee, 250 g',
        price: 32000,
        currency: 'COP',
        status: 'PAID',
        requestId: 7,
      },
    ]);
    await insertRawRows(dataSource, 'placetopay_payments', [
      {
        id: 'payment-1',
        reference: 'A1B2C3D4',
        openReference: null,
        requestId: 7,
        description: 'Huila coffee, 250 g',
        currency: 'COP',
        amountMinor: 3_200_000,
        status: 'APPROVED',
        createdAt: now,
        updatedAt: now,
      },
    ]);

    const ran = await dataSource.runMigrations();
    expect(ran.map((m) => m.name)).toEqual(after);
    expect(after[0]).toBe('AddSite1764231000000');
    expect(after.at(-1)).toBe('AddShopOrderSite1764231600000');
    expect(await dataSource.getRepository(ShopOrder).findOneByOrFail({ id: 'A1B2C3D4' })).toEqual(
      expect.objectContaining({ site: 'co', status: 'PAID' }),
    );
    expect(await dataSource.query('SELECT site, reference FROM placetopay_payments')).toEqual([
      { site: 'co', reference: 'A1B2C3D4' },
    ]);
    // And back: the shop's column goes; the module's rows keep their site.
    await dataSource.undoLastMigration();
    const columns: Array<{ name: string }> = await dataSource.query(
      "SELECT name FROM pragma_table_info('shop_orders')",
    );
    expect(columns.map((c) => c.name)).not.toContain('site');
  });
});
