// File window: this computer's and the remote computer's folders for the session `?session=ID`.
import 'virtual:latchkey-backend-setup';
import '../app.css';
import { mount } from 'svelte';
import FilesApp from '../routes/viewer/files/FilesApp.svelte';

mount(FilesApp, { target: document.getElementById('app')! });
