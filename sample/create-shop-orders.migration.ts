import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateShopOrders1764230500000 implements MigrationInterface {
  name = 'CreateShopOrders1764230500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'shop_orders',
        columns: [
          { name: 'id', type: 'varchar', length: '16', isPrimary: true },
          { name: 'sku', type: 'varchar', length: '32' },
          { name: 'productName', type: 'varchar', length: '120' },
          { name: 'price', type: 'integer' },
          { name: 'currency', type: 'varchar', length: '3' },
          { name: 'status', type: 'varchar', length: '32' },
          { name: 'requestId', type: 'bigint', isNullable: true },
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('shop_orders', true);
  }
}
