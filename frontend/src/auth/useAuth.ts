import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/errors";
import { isOutage, retryDelay, shouldRetry } from "../api/outage";
import { queryKeys } from "../api/queries";
import type { User } from "../api/types";

/** The signed-in person, or null when nobody is (a 401 is an answer here, not an error). */
export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: async ({ signal }): Promise<User | null> => {
      try {
        return await unwrap(api.GET("/users/me", { signal }));
      } catch (error) {
        if (error instanceof ApiError && error.isUnauthorized) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    // Whatever the app's defaults: only a 401 signs a person out, so an outage is waited out, not concluded from.
    retry: shouldRetry,
    retryDelay,
  });
}

/**
 * Whether the pages open to everyone should wait for `useMe` before showing themselves (a signed-in person is sent
 * on): not while the API is out of reach, when what a visitor sees is better than a spinner that lasts as long.
 */
export function isCheckingSession(me: { isPending: boolean; failureReason: unknown }): boolean {
  return me.isPending && !isOutage(me.failureReason);
}

export interface Credentials {
  email: string;
  password: string;
}

async function logIn({ email, password }: Credentials): Promise<void> {
  await unwrap(
    api.POST("/auth/cookie/login", {
      body: { username: email, password },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }),
  );
}

export function useLogIn() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: logIn,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.me }),
  });
}

export function useRegister() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (credentials: Credentials) => {
      await unwrap(api.POST("/auth/register", { body: credentials }));
      await logIn(credentials);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.me }),
  });
}

export function useLogOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      try {
        await unwrap(api.POST("/auth/cookie/logout"));
      } catch (error) {
        // Already logged out is as good as logged out.
        if (!(error instanceof ApiError && error.isUnauthorized)) throw error;
      }
    },
    onSuccess: () => {
      queryClient.clear();
      queryClient.setQueryData(queryKeys.me, null);
    },
  });
}

/** Asks the API to email a reset link; it answers the same whether or not the account exists. */
export function useForgotPassword() {
  return useMutation({
    mutationFn: async (email: string) => {
      await unwrap(api.POST("/auth/forgot-password", { body: { email } }));
    },
  });
}

export function useResetPassword() {
  return useMutation({
    mutationFn: async ({ token, password }: { token: string; password: string }) => {
      await unwrap(api.POST("/auth/reset-password", { body: { token, password } }));
    },
  });
}

/** The password was changed, but signing in again with it failed: the person has to log in. */
export class PasswordChangedButNotSignedIn extends Error {
  constructor() {
    super("Your password was changed. Log in with your new password.");
    this.name = "PasswordChangedButNotSignedIn";
  }
}

/**
 * Changes the password (PATCH /users/me with the current one). A new password ends every login, the one making
 * the change too, so the person is signed in again with it straight away.
 */
export function useChangePassword() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({
      email,
      currentPassword,
      newPassword,
    }: {
      email: string;
      currentPassword: string;
      newPassword: string;
    }) => {
      await unwrap(api.PATCH("/users/me", { body: { password: newPassword, current_password: currentPassword } }));
      try {
        await logIn({ email, password: newPassword });
      } catch {
        queryClient.clear();
        queryClient.setQueryData(queryKeys.me, null);
        throw new PasswordChangedButNotSignedIn();
      }
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.me }),
  });
}

/** Deletes the signed-in person's account for good; afterwards nobody is signed in. */
export function useDeleteAccount() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      await unwrap(api.DELETE("/users/me"));
    },
    onSuccess: () => {
      queryClient.clear();
      queryClient.setQueryData(queryKeys.me, null);
    },
  });
}

/** Asks the API to email a link that confirms the address. */
export function useRequestVerification() {
  return useMutation({
    mutationFn: async (email: string) => {
      await unwrap(api.POST("/auth/request-verify-token", { body: { email } }));
    },
  });
}

export function useVerifyEmail() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (token: string) => {
      await unwrap(api.POST("/auth/verify", { body: { token } }));
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.me }),
  });
}
