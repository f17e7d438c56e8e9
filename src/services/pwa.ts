/// <reference types="vite-plugin-pwa/vanillajs" />
// Registers the service worker that vite-plugin-pwa generates (the precached app shell), so the
// app opens with the network off after the first visit. With `autoUpdate` a new build takes
// over on the next load; model weights and engines' wasm are never part of this cache.
import { registerSW } from 'virtual:pwa-register';

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  registerSW({
    immediate: true,
    onRegisterError(error) {
      // The app works without it, only not offline; say why in the console for whoever debugs.
      console.warn('Service worker registration failed; offline use is unavailable.', error);
    },
  });
}
