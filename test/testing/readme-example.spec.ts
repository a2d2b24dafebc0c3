// The README's "A jest example", verbatim: it must keep working.
import { Test } from '@nestjs/testing';
import { PlacetoPayClient, PlacetoPayModule } from 'nestjs-placetopay';
import { type CreateSessionRequest } from 'nestjs-placetopay/wire';
import { ManualClock, PlacetoPaySimulator } from 'nestjs-placetopay/testing';

const order = (reference: string): CreateSessionRequest => ({
  payment: { reference, description: 'Coffee', amount: { currency: 'COP', total: 32000 } },
  returnUrl: 'https://shop.example.com/return',
  ipAddress: '127.0.0.1',
  userAgent: 'jest',
});

describe('checkout', () => {
  const clock = new ManualClock();
  const simulator = new PlacetoPaySimulator({
    sites: [
      {
        login: 'test-login',
        secretKey: 'test-secret',
        notificationUrl: 'http://127.0.0.1:3000/placetopay/notification',
      },
    ],
    clock,
  });
  let client: PlacetoPayClient;

  beforeAll(async () => {
    await simulator.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlacetoPayModule.forRoot({
          clientOnly: true, // the gateway client alone: no database needed
          login: 'test-login',
          secretKey: 'test-secret',
          baseUrl: simulator.url,
        }),
      ],
    }).compile();
    client = moduleRef.get(PlacetoPayClient);
  });
  afterAll(() => simulator.stop());

  it('settles an approved payment', async () => {
    const { requestId } = await client.createSession(order('ORDER-1'));
    simulator.approve(requestId); // as if the buyer paid with an approving card
    await simulator.notifications.settled(); // the signed notification has been posted
    expect((await client.getSession(requestId)).status.status).toBe('APPROVED');
  });

  it('expires an abandoned session after 30 minutes', async () => {
    const { requestId } = await client.createSession(order('ORDER-2'));
    clock.advance(31 * 60_000); // PlacetoPay's clock, not yours
    expect((await client.getSession(requestId)).status.status).toBe('REJECTED');
  });
});
