import { webhookRouteMatcher } from '../../lib/notifications/webhook-body-cap';

describe('webhookRouteMatcher', () => {
  const matches = webhookRouteMatcher(['placetopay/notification', '/hooks/recurring/']);

  it.each([
    '/placetopay/notification',
    '/placetopay/notification/',
    '/placetopay/notification?x=1',
    '/api/v1/placetopay/notification',
    '/hooks/recurring',
  ])('matches %s', (url) => expect(matches(url)).toBe(true));

  it.each([
    '/placetopay/notification/co',
    '/xplacetopay/notification',
    '/placetopay',
    '/',
    '/hooks/recurring-x',
  ])('leaves %s alone', (url) => expect(matches(url)).toBe(false));
});
