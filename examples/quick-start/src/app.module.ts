// src/app.module.ts
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PLACETOPAY_ENTITIES, PLACETOPAY_MIGRATIONS, PlacetoPayModule } from 'nestjs-placetopay';
import { CheckoutController } from './checkout.controller.js';
import { OrderApprovedListener } from './order-approved.listener.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }), // reads .env
    ScheduleModule.forRoot(), // once in your app: the probe's cron job runs on it
    TypeOrmModule.forRoot({
      type: 'better-sqlite3', // or 'postgres', 'mysql', 'mariadb'
      database: 'shop.sqlite',
      entities: [...PLACETOPAY_ENTITIES /*, your own */],
      migrations: [...PLACETOPAY_MIGRATIONS /*, your own */],
      migrationsRun: true,
    }),
    PlacetoPayModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        login: config.getOrThrow<string>('PLACETOPAY_LOGIN'),
        secretKey: config.getOrThrow<string>('PLACETOPAY_SECRET_KEY'),
        baseUrl: config.getOrThrow<string>('PLACETOPAY_BASE_URL'),
      }),
    }),
  ],
  controllers: [CheckoutController],
  providers: [OrderApprovedListener],
})
export class AppModule {}
