import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Indexes the inbox by reference: the probe looks up the notification of a lost charge by it. */
export class IndexNotificationReference1764230790000 implements MigrationInterface {
  name = 'IndexNotificationReference1764230790000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'placetopay_notifications',
      new TableIndex({
        name: 'IDX_placetopay_notifications_reference',
        columnNames: ['reference', 'state'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex(
      'placetopay_notifications',
      'IDX_placetopay_notifications_reference',
    );
  }
}
