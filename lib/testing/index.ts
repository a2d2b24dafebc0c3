export { createAuth, type AuthInput, type PlacetoPayAuth } from '../gateway/authentication';
export { signNotification, type SignNotificationInput } from './sign-notification';
export { PlacetoPaySimulator } from './simulator/placetopay-simulator';
export type { SimulatorRequestLogEntry } from './simulator/http-exchange';
export type { PlacetoPaySimulatorOptions, SimulatorSite } from './simulator/simulator-options';
export { ManualClock, systemClock, type SimulatorClock } from './simulator/simulator-clock';
export type { SimulatorFault, SimulatorOperation } from './simulator/fault-injector';
export type {
  NotificationBehaviour,
  NotificationBody,
  SentNotification,
} from './simulator/notifier';
export { TEST_CARDS, type CardBehaviour } from './simulator/test-cards';
