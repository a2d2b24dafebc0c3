import { Injectable } from '@nestjs/common';
import type { PlacetoPayEvent } from './placetopay-event';
import type { PlacetoPayEventType } from '../payments/placetopay-event-type';

export interface RegisteredListener {
  /** `ProviderClass.method`: the delivery key, stable across restarts and replicas. */
  id: string;
  types: PlacetoPayEventType[];
  handle(event: PlacetoPayEvent): unknown;
}

/** The listeners discovered at start-up. */
@Injectable()
export class EventListenerRegistry {
  private readonly listeners = new Map<string, RegisteredListener>();

  register(listener: RegisteredListener): void {
    if (this.listeners.has(listener.id))
      throw new Error(`PlacetoPay event listener ${listener.id} is registered twice`);
    this.listeners.set(listener.id, listener);
  }

  get(id: string): RegisteredListener | undefined {
    return this.listeners.get(id);
  }

  all(): RegisteredListener[] {
    return [...this.listeners.values()];
  }

  /** Who hears an event: its own type, and `payment.status_changed` for every transition. */
  listenersFor(type: string, transition: boolean): RegisteredListener[] {
    return this.all().filter(
      (l) =>
        l.types.includes(type as PlacetoPayEventType) ||
        (transition && l.types.includes('payment.status_changed')),
    );
  }
}
