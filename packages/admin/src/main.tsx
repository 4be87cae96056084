import { render } from 'preact';
import { App } from './app.js';
// The style sheets, in cascade order: tokens and base, then the shell, forms, states, each view, and last the
// narrow-window overrides.
import './styles/base.css';
import './styles/shell.css';
import './styles/forms.css';
import './styles/states.css';
import './styles/overview.css';
import './styles/tables.css';
import './styles/record-detail.css';
import './styles/graph.css';
import './styles/narrow.css';

render(<App />, document.getElementById('app')!);
