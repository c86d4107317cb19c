import { roundMoney } from '../series/units.ts';
import { conversionFields } from './behaviors.ts';

/** Conversion figures of a campaign, send, Canvas or step from the conversion counts per day. */

/** Conversions of behaviour `idx` (0–3; -1 carries revenue) on one day, as a store answers them;
 * rows of one key are summed. */
export interface ConversionCount {
  day: number;
  part: string;
  variation: string;
  channel: string;
  idx: number;
  /** Conversions whose converting event fell on `day`. */
  conversions: number;
  /** Conversions whose receipt fell on `day`. */
  byReceipt: number;
  /** Revenue (USD) of purchases on `day` credited to the source. */
  revenue: number;
}


/** Figures of a series entry by name. */
export type Figures = Record<string, number>;

/** Field names of each conversion behaviour (by conversion day, by receipt day), by receipt-day suffix. */
const CONVERSION_NAMES = new Map<string, Array<[string, string]>>();
function conversionNames(count: number, byReceiptName: string): Array<[string, string]> {
  let names = CONVERSION_NAMES.get(byReceiptName);
  if (!names || names.length < count) {
    names = Array.from({ length: Math.max(count, 4) }, (_, i) => [conversionFields(i).byConversion, conversionFields(i).byConversion + byReceiptName]);
    CONVERSION_NAMES.set(byReceiptName, names);
  }
  return names;
}

/** `revenue`, `conversions`, `conversions_by_send_time`, `conversions1`, ... summed over rows
 * (written into `into`, after its own fields, when given). */
export function conversionFigures(
  rows: ConversionCount[],
  conversionCount: number,
  byReceiptName = '_by_send_time',
  into: Record<string, number | string> = {},
): Figures {
  const out = into as Figures;
  const count = Math.max(1, conversionCount);
  const names = conversionNames(count, byReceiptName);
  let revenue = 0;
  out.revenue = 0;
  for (let i = 0; i < count; i++) {
    out[names[i][0]] = 0;
    out[names[i][1]] = 0;
  }
  for (const r of rows) {
    if (r.idx < 0) {
      revenue += r.revenue;
      continue;
    }
    if (r.idx >= count) continue;
    const [byConversion, byReceipt] = names[r.idx];
    out[byConversion] += r.conversions;
    out[byReceipt] += r.byReceipt;
  }
  out.revenue = roundMoney(revenue);
  return out;
}

