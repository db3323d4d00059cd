import type { Server } from 'node:http';
export declare function serve(port?: number, dir?: string): Promise<{ server: Server; url: string }>;
