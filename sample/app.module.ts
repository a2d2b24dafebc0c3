import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PLACETOPAY_ENTITIES, PLACETOPAY_MIGRATIONS, PlacetoPayModule } from 'nestjs-placetopay';
import { CreateShopOrders1764230500000 } from './create-shop-orders.migration';
import { OrderFulfilmentListener } from './order-fulfilment.listener';
import { ShopOrder } from './shop-order.entity';
import { ShopController } from './shop.controller';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    // The probe registers its cron job here: it settles what the return URL and the webhook miss.
    ScheduleModule.forRoot(),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        type: 'better-sqlite3',
        database: config.get<string>('SAMPLE_DATABASE', '.tmp/sample-shop.sqlite'),
        entities: [...PLACETOPAY_ENTITIES, ShopOrder],
        migrations: [...PLACETOPAY_MIGRATIONS, CreateShopOrders1764230500000],
        migrationsRun: true,
      }),
    }),
    TypeOrmModule.forFeature([ShopOrder]),
    PlacetoPayModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        login: config.get('PLACETOPAY_LOGIN'),
        secretKey: config.get('PLACETOPAY_SECRET_KEY'),
        baseUrl: config.get('PLACETOPAY_BASE_URL'),
        // Encrypts the tokens of saved cards. Production reads it from a secret store; the
        // embedded sample makes a development one (bootstrap.ts).
        instrumentKey: config.get('PLACETOPAY_INSTRUMENT_KEY'),
      }),
    }),
  ],
  controllers: [ShopController],
  providers: [OrderFulfilmentListener],
})
export class AppModule {}
