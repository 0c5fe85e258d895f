export declare const BUILDS: readonly { entry: string; name: string }[];
export declare function upToDateBuild(root: URL, fromSource?: boolean): { entry: string; name: string; url: URL } | null;
