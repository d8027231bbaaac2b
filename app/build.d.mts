import type { Server } from 'node:http';
export declare const PAGES: string[];
export declare function buildApp(opts?: { outdir?: string }): Promise<string>;
export declare function serveApp(opts?: {
  dir?: string;
  port?: number;
  host?: string;
}): Promise<{ url: string; server: Server; close: () => Promise<void> }>;
