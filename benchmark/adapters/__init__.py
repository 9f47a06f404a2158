"""Built-in generator adapters: `folder` (videos made elsewhere) and the controls `real`,
`shuffled-audio` and `shifted`, declared in the `avbench.generators` entry-point group."""
