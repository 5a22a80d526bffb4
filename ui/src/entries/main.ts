// Main window: home (this device, connect), settings and profile editor.
import 'virtual:latchkey-backend-setup';
import '../app.css';
import { mount } from 'svelte';
import MainApp from '../routes/main/MainApp.svelte';

mount(MainApp, { target: document.getElementById('app')! });
