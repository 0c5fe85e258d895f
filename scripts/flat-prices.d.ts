import type { FlatPriceSnapshot } from '../src/models/flat-prices.js';

export declare const TABLE_PROVIDERS: string[];
export declare function flatPriceSnapshot(): FlatPriceSnapshot;
export declare function renderSnapshot(snapshot: FlatPriceSnapshot): string;
