import type { Server } from 'node:http';

export declare const CHROMIUM: string;
export declare const CHROMIUM_ARGS: readonly string[];
export declare const CSP: string;
export declare function startStaticServer(root: string): Promise<{ server: Server; origin: string }>;
