// Empty on purpose: cliStartup.ts times `tsx` running it, the floor of any TypeScript command here.
export {};
