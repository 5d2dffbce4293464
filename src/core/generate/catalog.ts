// What the mock world is made of: services, their log messages, merchants, currencies, users.
// Placeholders in messages ({ms}, {n}, {id}, {code}, {host}) are filled by `fillMessage`.
import type { Prng } from './prng.ts'

export const SERVICES = [
  'auth-service',
  'inventory-api',
  'payments',
  'search',
  'notifications',
  'checkout',
  'user-profile',
  'gateway',
] as const
export type Service = (typeof SERVICES)[number]

/** Relative share of log traffic per service (the gateway sees everything, notifications little). */
export const SERVICE_LOG_WEIGHTS: readonly number[] = [14, 12, 10, 14, 6, 10, 8, 26]

/** Services whose logs usually name the user they act for. */
export const SERVICES_WITH_USERS: ReadonlySet<Service> = new Set<Service>([
  'auth-service',
  'payments',
  'checkout',
  'user-profile',
  'notifications',
])

export type NaturalLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'
export const NATURAL_LEVELS: readonly NaturalLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR']
/** The level mix before the natural-error budget downgrades some ERRORs to WARN. */
export const NATURAL_LEVEL_WEIGHTS: readonly number[] = [12, 72, 13, 3]

type Templates = Record<NaturalLevel, readonly string[]>

const DEBUG: readonly string[] = [
  'cache lookup took {ms}ms',
  'request {id} routed to {host}',
  'config snapshot reloaded ({n} keys)',
  'connection pool size {n}',
]

export const LOG_TEMPLATES: Record<Service, Templates> = {
  'auth-service': {
    DEBUG,
    INFO: ['User login succeeded', 'Token refreshed', 'Session created', 'User logged out'],
    WARN: ['Password attempt {n} of 5', 'Token close to expiry', 'Login from a new device'],
    ERROR: ['User login failed', 'Token signature invalid', 'Identity provider timed out after {ms}ms'],
  },
  'inventory-api': {
    DEBUG,
    INFO: ['Stock level read for sku-{code}', 'Reservation {id} created', 'Stock updated for sku-{code}'],
    WARN: ['Low stock for sku-{code}: {n} left', 'Reservation {id} about to expire'],
    ERROR: ['Stock update conflict for sku-{code}', 'Warehouse service unreachable'],
  },
  payments: {
    DEBUG,
    INFO: ['Payment authorised', 'Refund issued for order {id}', 'Card tokenised'],
    WARN: ['Payment provider slow: {ms}ms', 'Retrying capture for order {id}'],
    ERROR: ['Payment provider returned 502', 'Capture failed for order {id}', 'Fraud check unavailable'],
  },
  search: {
    DEBUG,
    INFO: ['Query served in {ms}ms', 'Index segment merged', 'Suggestions served'],
    WARN: ['Query took {ms}ms', 'Index replica lagging by {n} docs'],
    ERROR: ['Index shard {n} unavailable', 'Query parser error'],
  },
  notifications: {
    DEBUG,
    INFO: ['Email queued', 'Push notification delivered', 'SMS delivered'],
    WARN: ['Email bounced', 'Push token expired'],
    ERROR: ['SMTP relay refused connection', 'Push gateway returned 500'],
  },
  checkout: {
    DEBUG,
    INFO: ['Cart checked out', 'Order {id} placed', 'Shipping quote computed'],
    WARN: ['Cart {id} abandoned', 'Coupon rejected'],
    ERROR: ['Order {id} could not be placed', 'Tax service timed out after {ms}ms'],
  },
  'user-profile': {
    DEBUG,
    INFO: ['Profile viewed', 'Profile updated', 'Avatar uploaded'],
    WARN: ['Profile update rejected: invalid email', 'Avatar too large'],
    ERROR: ['Profile store write failed', 'Avatar storage unavailable'],
  },
  gateway: {
    DEBUG,
    INFO: ['GET /api/v1/products 200', 'POST /api/v1/cart 201', 'GET /api/v1/search 200'],
    WARN: ['Rate limit close for client {id}', 'Upstream slow: {ms}ms'],
    ERROR: ['Upstream returned 503', 'Circuit breaker open for {host}'],
  },
}

const HOSTS = ['10.0.1.12', '10.0.1.17', '10.0.2.4', '10.0.3.9']

export function fillMessage(template: string, prng: Prng): string {
  if (!template.includes('{')) return template
  return template.replace(/\{(ms|n|id|code|host)\}/g, (_, name: string) => {
    switch (name) {
      case 'ms':
        return String(prng.int(20, 3000))
      case 'n':
        return String(prng.int(1, 40))
      case 'id':
        return prng.hex(8)
      case 'code':
        return String(prng.int(10000, 99999))
      default:
        return prng.pick(HOSTS)
    }
  })
}

export const MERCHANTS = [
  'Acme Market',
  'Blue Bottle Coffee',
  'Northwind Books',
  'Globex Electronics',
  'Initech Travel',
  'Umbrella Pharmacy',
  'Stark Hardware',
  'Wayne Apparel',
  'Soylent Grocers',
  'Hooli Cloud',
  'Pied Piper Music',
  'Vandelay Imports',
  'Cyberdyne Games',
  'Tyrell Home',
  'Wonka Sweets',
  'Oceanic Airlines',
] as const

export const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD'] as const
export const CURRENCY_WEIGHTS: readonly number[] = [55, 25, 12, 5, 3]

export const TRANSACTION_STATUSES = ['approved', 'declined', 'pending'] as const
export const TRANSACTION_STATUS_WEIGHTS: readonly number[] = [90, 7, 3]

export const USER_POOL_SIZE = 5000

/** A user id from the pool u-0001..u-5000; a few users are much more active than most. */
export function pickUserId(prng: Prng): string {
  const r = prng.next()
  return USER_IDS[Math.floor(r * r * USER_POOL_SIZE)]!
}

const USER_IDS: readonly string[] = Array.from(
  { length: USER_POOL_SIZE },
  (_, i) => `u-${String(i + 1).padStart(4, '0')}`,
)
