// Accept window: an incoming request, accepted (perhaps with fewer permissions) or denied.
import 'virtual:latchkey-backend-setup';
import '../app.css';
import { mount } from 'svelte';
import AcceptApp from '../routes/accept/AcceptApp.svelte';

mount(AcceptApp, { target: document.getElementById('app')! });
