// Slack: incoming webhooks, or the log when none is configured.
export { createLogNotifier } from './log-notifier.ts'
export type { Notifier } from './notifier.ts'
export { createSlackWebhook, type SlackWebhookOptions } from './slack-webhook.ts'
