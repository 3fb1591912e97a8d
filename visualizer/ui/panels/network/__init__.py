"""The network view: layers of neurons lit by activation, connections coloured by weight."""
