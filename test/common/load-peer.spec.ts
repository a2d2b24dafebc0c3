import { installMessage, loadPeer, type Peer } from '../../lib/common/load-peer';

interface Widget {
  make(): string;
}

const WIDGET: Peer<Widget> = {
  name: '@acme/widget',
  purpose: ' to use the widget route',
  unusable: (widget) =>
    typeof widget?.make === 'function' ? undefined : '@acme/widget 2 or later is needed',
};

function notFound(id: string): Error {
  return Object.assign(new Error(`Cannot find module '${id}'\nRequire stack:\n- /app/x.js`), {
    code: 'MODULE_NOT_FOUND',
  });
}

describe('loadPeer', () => {
  it('returns what the load returned when it is usable, and asks for the peer by its name', () => {
    const asked: string[] = [];
    const widget = { make: () => 'made' };
    const outcome = loadPeer(WIDGET, (id) => {
      asked.push(id);
      return widget;
    });
    expect(outcome).toEqual({ api: widget });
    expect(asked).toEqual(['@acme/widget']);
  });

  it('says to install a missing peer, with the npm command and nothing else', () => {
    expect(
      loadPeer(WIDGET, (id) => {
        throw notFound(id);
      }),
    ).toEqual({
      problem: 'install @acme/widget to use the widget route (npm install @acme/widget)',
    });
  });

  it('adds the cause when the peer is there but fails to load (a dependency of it missing too)', () => {
    expect(
      loadPeer(WIDGET, () => {
        throw new Error('boom');
      }).problem,
    ).toBe(
      'install @acme/widget to use the widget route (npm install @acme/widget); loading it failed: boom',
    );
    // MODULE_NOT_FOUND for another module is a cause, not the peer missing.
    expect(
      loadPeer(WIDGET, () => {
        throw notFound('left-pad');
      }).problem,
    ).toMatch(/^install @acme\/widget .*; loading it failed: Cannot find module 'left-pad'/);
    expect(
      loadPeer(WIDGET, () => {
        throw 'not an error';
      }).problem,
    ).toMatch(/; loading it failed: not an error$/);
  });

  it("gives the peer's own message for a copy that loads but cannot be used", () => {
    expect(loadPeer(WIDGET, () => ({}))).toEqual({ problem: '@acme/widget 2 or later is needed' });
    expect(loadPeer(WIDGET, () => undefined)).toEqual({
      problem: '@acme/widget 2 or later is needed',
    });
  });

  it('takes any loaded value when the peer names no usability check', () => {
    const bare: Peer<{ x: number }> = { name: 'bare', purpose: '' };
    expect(loadPeer(bare, () => ({ x: 1 }))).toEqual({ api: { x: 1 } });
  });

  it('defaults to require: a real installed package loads, an absent one says install', () => {
    const path = loadPeer<typeof import('node:path')>({ name: 'node:path', purpose: '' });
    expect(path.api?.join('a', 'b')).toBe('a/b');
    expect(loadPeer({ name: 'nestjs-placetopay-no-such-peer', purpose: ' here' })).toEqual({
      problem:
        'install nestjs-placetopay-no-such-peer here (npm install nestjs-placetopay-no-such-peer)',
    });
  });

  it('builds the install message with a detail', () => {
    expect(installMessage(WIDGET, '; detail')).toBe(
      'install @acme/widget to use the widget route (npm install @acme/widget); detail',
    );
  });
});
