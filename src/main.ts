import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { registerServiceWorker } from './services/pwa.ts';

mount(App, { target: document.getElementById('app')! });
registerServiceWorker();
