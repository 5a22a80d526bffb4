// Viewer window: the remote screen of the session named by `?session=ID`.
import 'virtual:latchkey-backend-setup';
import '../app.css';
import { mount } from 'svelte';
import ViewerApp from '../routes/viewer/ViewerApp.svelte';

mount(ViewerApp, { target: document.getElementById('app')! });
