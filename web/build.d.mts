export declare const DIST: string;
export declare function buildSite(options?: { dev?: boolean }): Promise<{ dir: string; ms: number; bytes: Record<string, number> }>;
