/** What the demo app is made of: a shop with three apps, a product catalogue, custom events and
 * the places its users live. Plain data; the simulator draws from it with its seeded streams. */

export type Platform = 'ios' | 'android' | 'web';

export const PLATFORMS: readonly Platform[] = ['ios', 'android', 'web'];
export const PLATFORM_SHARE = [0.45, 0.4, 0.15];

export const APP_NAMES: Record<Platform, string> = {
  ios: 'Brazen Shop iOS',
  android: 'Brazen Shop Android',
  web: 'Brazen Shop Web',
};

export const PUSH_CHANNEL: Record<Platform, string> = { ios: 'ios_push', android: 'android_push', web: 'web_push' };

export interface Product {
  id: string;
  price: number;
  category: string;
}

export const PRODUCTS: readonly Product[] = [
  { id: 'classic_tee', price: 19.99, category: 'apparel' },
  { id: 'hoodie', price: 49.99, category: 'apparel' },
  { id: 'running_shoes', price: 89.0, category: 'shoes' },
  { id: 'canvas_sneakers', price: 59.5, category: 'shoes' },
  { id: 'water_bottle', price: 14.99, category: 'accessories' },
  { id: 'backpack', price: 74.0, category: 'accessories' },
  { id: 'sunglasses', price: 120.0, category: 'accessories' },
  { id: 'yoga_mat', price: 29.99, category: 'fitness' },
  { id: 'dumbbell_set', price: 99.0, category: 'fitness' },
  { id: 'gift_card_25', price: 25.0, category: 'gift_cards' },
  { id: 'gift_card_50', price: 50.0, category: 'gift_cards' },
  { id: 'premium_membership', price: 9.99, category: 'membership' },
];
/** How often each product is bought, in catalogue order. */
export const PRODUCT_WEIGHTS = [10, 5, 3, 4, 8, 3, 1, 5, 2, 3, 2, 4];

export const CATEGORIES = ['apparel', 'shoes', 'accessories', 'fitness', 'gift_cards'];

/** Custom events a session may hold, with their relative frequency. */
export const SESSION_EVENTS = ['viewed_product', 'searched', 'added_to_cart', 'favorited', 'shared_product'] as const;
export type SessionEvent = (typeof SESSION_EVENTS)[number];
export const SESSION_EVENT_WEIGHTS = [50, 22, 14, 9, 5];
/** Once per user, in the first session. */
export const ONBOARDING_EVENT = 'completed_onboarding';

export interface Locale {
  country: string;
  language: string;
  timeZone: string;
  /** Hours from UTC used to place sessions in the user's day (ignores DST: it only shapes the curve). */
  offset: number;
  cities: readonly string[];
  currency: string;
}

export const LOCALES: readonly Locale[] = [
  { country: 'US', language: 'en', timeZone: 'America/New_York', offset: -5, cities: ['New York', 'Boston', 'Atlanta'], currency: 'USD' },
  { country: 'US', language: 'en', timeZone: 'America/Chicago', offset: -6, cities: ['Chicago', 'Dallas', 'Houston'], currency: 'USD' },
  { country: 'US', language: 'en', timeZone: 'America/Los_Angeles', offset: -8, cities: ['Los Angeles', 'Seattle', 'San Francisco'], currency: 'USD' },
  { country: 'CA', language: 'en', timeZone: 'America/Toronto', offset: -5, cities: ['Toronto', 'Ottawa'], currency: 'USD' },
  { country: 'GB', language: 'en', timeZone: 'Europe/London', offset: 0, cities: ['London', 'Manchester', 'Leeds'], currency: 'GBP' },
  { country: 'DE', language: 'de', timeZone: 'Europe/Berlin', offset: 1, cities: ['Berlin', 'Munich', 'Hamburg'], currency: 'EUR' },
  { country: 'FR', language: 'fr', timeZone: 'Europe/Paris', offset: 1, cities: ['Paris', 'Lyon'], currency: 'EUR' },
  { country: 'BR', language: 'pt', timeZone: 'America/Sao_Paulo', offset: -3, cities: ['São Paulo', 'Rio de Janeiro'], currency: 'USD' },
  { country: 'JP', language: 'ja', timeZone: 'Asia/Tokyo', offset: 9, cities: ['Tokyo', 'Osaka'], currency: 'USD' },
  { country: 'IN', language: 'en', timeZone: 'Asia/Kolkata', offset: 5.5, cities: ['Bengaluru', 'Mumbai'], currency: 'USD' },
];
export const LOCALE_WEIGHTS = [18, 10, 12, 5, 12, 10, 7, 8, 8, 10];

/** USD per unit, written into the workspace so purchases in these currencies count in revenue. */
export const CURRENCY_RATES = { EUR: 1.08, GBP: 1.27 };

/** Relative activity by local hour, 0–23: a quiet night, a morning and lunch bump, an evening peak. */
export const HOUR_WEIGHTS = [1, 0.6, 0.35, 0.25, 0.25, 0.4, 1, 2.2, 3.2, 3, 2.6, 2.8, 3.4, 3.1, 2.6, 2.4, 2.5, 3, 3.8, 4.6, 5, 4.4, 3.1, 1.9];

/** Relative activity by UTC day of week, Sunday first: weekends are busier for a shop. */
export const WEEKDAY_FACTOR = [1.25, 0.88, 0.9, 0.93, 0.97, 1.05, 1.32];

export const FIRST_NAMES = ['Ava', 'Liam', 'Mia', 'Noah', 'Emma', 'Lucas', 'Sofia', 'Mateo', 'Hana', 'Arjun', 'Lea', 'Jonas', 'Chloé', 'Yuki', 'Priya', 'Omar', 'Grace', 'Leo', 'Isla', 'Ben'];
export const LAST_NAMES = ['Smith', 'Garcia', 'Müller', 'Martin', 'Silva', 'Sato', 'Patel', 'Brown', 'Dubois', 'Schmidt', 'Jones', 'Kim', 'Rossi', 'Nguyen', 'Walker', 'Costa'];
export const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example'];
export const DEVICE_MODELS: Record<Platform, readonly string[]> = {
  ios: ['iPhone15,2', 'iPhone14,5', 'iPhone16,1', 'iPad13,4'],
  android: ['Pixel 8', 'SM-S911B', 'SM-A546B', 'moto g84'],
  web: ['Chrome', 'Safari', 'Firefox', 'Edge'],
};
export const OS_VERSIONS: Record<Platform, readonly string[]> = {
  ios: ['17.4', '17.5', '18.0', '16.7'],
  android: ['14', '13', '12'],
  web: ['macOS', 'Windows', 'Linux'],
};
export const MAILBOX_PROVIDERS = ['Gmail', 'Outlook', 'Yahoo', 'Apple'];
