import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bigintColumn, varcharColumn } from './migration-columns';

/** Creates `placetopay_instruments`: stored payment methods, their tokens encrypted. */
export class CreatePlacetoPayInstruments1764230760000 implements MigrationInterface {
  name = 'CreatePlacetoPayInstruments1764230760000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const text = varcharColumn;
    const bigint = bigintColumn;
    await queryRunner.createTable(
      new Table({
        name: 'placetopay_instruments',
        columns: [
          { ...text('id', 36), isPrimary: true },
          bigint('sourceRequestId'),
          text('sourcePaymentId', 36),
          text('reference', 32),
          text('type', 16),
          text('status', 16),
          text('franchise', 32, true),
          text('franchiseName', 64, true),
          text('issuerName', 128, true),
          text('lastDigits', 4, true),
          text('validUntil', 10, true),
          text('tokenCiphertext', 512),
          text('tokenKeyId', 16),
          { name: 'payer', type: 'text', isNullable: true },
          bigint('createdAt'),
          bigint('updatedAt'),
          bigint('revokedAt', true),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_placetopay_instruments_source',
            columnNames: ['sourceRequestId'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_placetopay_instruments_reference',
            columnNames: ['reference'],
          }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('placetopay_instruments', true);
  }
}
