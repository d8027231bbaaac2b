// Every built-in task kind, registered by importing its module (workers import this).
import './fwi.js';
import './datasets.js';
import './ensemble.js';
