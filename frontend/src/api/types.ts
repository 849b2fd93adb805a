import type { paths } from "./schema";

// Derived from the routes rather than from schema names, so the client follows the API's shapes
// however the backend chooses to name its models.
type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;

export type Generation = JsonOf<paths["/generations/{generation_id}"]["get"]["responses"][200]>;
export type GenerationStatus = Generation["status"];
export type GenerationPage = JsonOf<paths["/generations"]["get"]["responses"][200]>;
export type GenerationAccepted = JsonOf<paths["/generations"]["post"]["responses"][202]>;
export type UserStats = JsonOf<paths["/user/stats"]["get"]["responses"][200]>;
export type Style = JsonOf<paths["/styles"]["get"]["responses"][200]>["styles"][number];
export type User = JsonOf<paths["/users/me"]["get"]["responses"][200]>;
export type ClientConfig = JsonOf<paths["/config"]["get"]["responses"][200]>;
export type Plan = JsonOf<paths["/billing/plans"]["get"]["responses"][200]>["plans"][number];
export type Billing = JsonOf<paths["/billing"]["get"]["responses"][200]>;
export type CurrentPlan = NonNullable<Billing["plan"]>;
export type Purchase = JsonOf<paths["/billing/purchases"]["get"]["responses"][200]>["purchases"][number];
export type LedgerPage = JsonOf<paths["/credits/ledger"]["get"]["responses"][200]>;
export type LedgerEntry = LedgerPage["entries"][number];
export type LedgerReason = LedgerEntry["reason"];
export type ApiKey = JsonOf<paths["/users/me/api-keys"]["get"]["responses"][200]>["apiKeys"][number];
export type ApiKeyCreated = JsonOf<paths["/users/me/api-keys"]["post"]["responses"][201]>;
export type AdminUsersPage = JsonOf<paths["/admin/users"]["get"]["responses"][200]>;
export type AdminUser = AdminUsersPage["users"][number];
export type AdminUserDetail = JsonOf<paths["/admin/users/{user_id}"]["get"]["responses"][200]>;
export type AdminGeneration = AdminUserDetail["recentGenerations"][number];
export type AdminAction = AdminUserDetail["adminActions"][number];
export type AdminStats = JsonOf<paths["/admin/stats"]["get"]["responses"][200]>;
export type AdminDay = AdminStats["byDay"][number];
export type ImageModel = JsonOf<paths["/models"]["get"]["responses"][200]>["models"][number];
export type ShareOut = JsonOf<paths["/generations/{generation_id}/share"]["post"]["responses"][200]>;
export type PublicGallery = JsonOf<paths["/public"]["get"]["responses"][200]>;
export type PublicItem = PublicGallery["items"][number];
export type AgainOptions = NonNullable<
  paths["/generations/{generation_id}/again"]["post"]["requestBody"]
>["content"]["application/json"];
export type AspectRatio = NonNullable<AgainOptions["aspectRatio"]>;
