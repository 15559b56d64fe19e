import { z } from "zod";

// Wire schemas of the fencing episodes a speaker reports on vipmesh.ev.announce.<node>.

const nodeName = z.string().min(1);
const clock = z.number().nonnegative();

export const fenceEnteredV1 = z.object({ node: nodeName, incarnation: z.number().int().nonnegative(), reason: z.string().min(1), at: clock });

export const fenceLeftV1 = z
  .object({ node: nodeName, incarnation: z.number().int().nonnegative(), reason: z.string().min(1), enteredAt: clock, leftAt: clock, unfenceReason: z.string().min(1) })
  .refine((d) => d.leftAt >= d.enteredAt, { message: "leftAt must not be before enteredAt", path: ["leftAt"] });
