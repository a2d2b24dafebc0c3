import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PLACETOPAY_ENTITIES, PLACETOPAY_MIGRATIONS, PlacetoPayModule } from 'nestjs-placetopay';
import { OrderFulfilmentListener } from './order-fulfilment.listener';
import { SHOP_SITES } from './shop-catalog';
import { SHOP_MIGRATIONS } from './shop-migrations';
import { ShopOrder } from './shop-order.entity';
import { ShopPayments } from './shop-payments';
import { ShopController } from './shop.controller';

/**
 * One registration per site (docs/sites.md): `co` reads PLACETOPAY_CO_LOGIN,
 * PLACETOPAY_CO_SECRET_KEY, PLACETOPAY_CO_BASE_URL..., `ec` the PLACETOPAY_EC_* ones. Each has its
 * own webhook (placetopay/notification/co, .../ec), probe job and rows, in the one DataSource.
 */
const siteRegistrations = SHOP_SITES.map(({ name }) =>
  PlacetoPayModule.forRootAsync({
    name,
    inject: [ConfigService],
    useFactory: (config: ConfigService) => {
      const variable = (suffix: string) =>
        config.get<string>(`PLACETOPAY_${name.toUpperCase()}_${suffix}`);
      return {
        login: variable('LOGIN'),
        secretKey: variable('SECRET_KEY'),
        baseUrl: variable('BASE_URL'),
        // Encrypts the tokens of saved cards. Production reads it from a secret store; the
        // embedded sample makes a development one (bootstrap.ts).
        instrumentKey: variable('INSTRUMENT_KEY'),
      };
    },
  }),
);

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    // Each site's probe registers its cron job here: it settles what the return URL and the
    // webhook miss.
    ScheduleModule.forRoot(),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        type: 'better-sqlite3',
        database: config.get<string>('SAMPLE_DATABASE', '.tmp/sample-shop.sqlite'),
        entities: [...PLACETOPAY_ENTITIES, ShopOrder],
        migrations: [...PLACETOPAY_MIGRATIONS, ...SHOP_MIGRATIONS],
        migrationsRun: true,
      }),
    }),
    TypeOrmModule.forFeature([ShopOrder]),
    ...siteRegistrations,
  ],
  controllers: [ShopController],
  providers: [ShopPayments, OrderFulfilmentListener],
})
export class AppModule {}
