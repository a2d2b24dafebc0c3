import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { DEFAULT_SITE, isDefaultSite } from '../config/site-name';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { EventListenerRegistry } from './event-listener-registry';
import {
  PLACETOPAY_EVENT_LISTENER,
  PLACETOPAY_EVENT_LISTENER_SITES,
} from './on-placetopay-event.decorator';
import type { PlacetoPayEvent } from './placetopay-event';
import type { PlacetoPayEventType } from '../payments/placetopay-event-type';

/**
 * Finds `@OnPlacetoPayEvent` methods on the host's providers at start-up, and logs one line per
 * listener found (class, method, events), so an operator can see what will be called. Each site
 * has its own explorer: it keeps the listeners whose `site` filter admits its site.
 */
@Injectable()
export class EventListenerExplorer implements OnModuleInit {
  private readonly logger = new Logger('PlacetoPayEvents');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly registry: EventListenerRegistry,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      // Request-scoped providers have no instance here: look at their class to refuse them.
      const prototype = (
        instance && typeof instance === 'object'
          ? Object.getPrototypeOf(instance)
          : (wrapper.metatype as { prototype?: object } | undefined)?.prototype
      ) as object | undefined;
      if (!prototype || typeof prototype !== 'object') continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const types = this.reflector.get<PlacetoPayEventType[] | undefined>(
          PLACETOPAY_EVENT_LISTENER,
          (prototype as Record<string, () => unknown>)[method],
        );
        if (!types) continue;
        const site = this.options.site ?? DEFAULT_SITE;
        const sites = this.reflector.get<string[] | undefined>(
          PLACETOPAY_EVENT_LISTENER_SITES,
          (prototype as Record<string, () => unknown>)[method],
        );
        if (sites && !sites.includes(site)) continue;
        const id = `${prototype.constructor.name}.${method}`;
        if (!wrapper.isDependencyTreeStatic() || !instance) {
          throw new Error(
            `@OnPlacetoPayEvent on ${id}: listeners must live on singleton providers, ` +
              'not request- or transient-scoped ones (events are delivered outside any request)',
          );
        }
        const handler = (instance![method] as (event: PlacetoPayEvent) => unknown).bind(instance);
        this.registry.register({ id, types, handle: handler });
        this.logger.log(
          `listener ${id} receives ${types.join(', ')}${isDefaultSite(site) ? '' : ` of site ${site}`}`,
        );
      }
    }
  }
}
