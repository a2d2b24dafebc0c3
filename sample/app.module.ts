import { Module } from '@nestjs/common';
import { PlacetoPayModule } from 'nestjs-placetopay';
import { OrdersStore } from './orders.store';
import { ShopController } from './shop.controller';

@Module({
  imports: [PlacetoPayModule.forRoot()],
  controllers: [ShopController],
  providers: [OrdersStore],
})
export class AppModule {}
