export declare function asciiComments(code: string): string;
