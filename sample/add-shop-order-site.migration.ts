import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { PLACETOPAY_ENTITIES } from 'nestjs-placetopay';

/**
 * The shop sells in two sites: an order remembers the site it is paid in. Orders placed before
 * were Colombian, paid through the sample's one unnamed registration (site `default`); that site
 * is now named `co`, so this sample also moves the module's rows of `default` to `co`. A real app
 * that keeps its first site unnamed needs none of that (docs/sites.md).
 */
export class AddShopOrderSite1764231600000 implements MigrationInterface {
  name = 'AddShopOrderSite1764231600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'shop_orders',
      new TableColumn({ name: 'site', type: 'varchar', length: '32', default: "'co'" }),
    );
    for (const table of siteTables(queryRunner)) {
      await queryRunner.query(`UPDATE ${table} SET site = 'co' WHERE site = 'default'`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('shop_orders', 'site');
  }
}

/** The module's tables whose rows carry `site`, quoted, as the DataSource knows them. */
function siteTables(queryRunner: QueryRunner): string[] {
  return queryRunner.connection.entityMetadatas
    .filter((meta) => (PLACETOPAY_ENTITIES as readonly unknown[]).includes(meta.target))
    .filter((meta) => meta.findColumnWithPropertyName('site'))
    .map((meta) => queryRunner.connection.driver.escape(meta.tableName));
}
