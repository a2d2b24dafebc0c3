export { signNotification, type SignNotificationInput } from './sign-notification';
