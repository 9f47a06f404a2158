"""Environment probe, run in the user's upstream interpreter (standalone: stdlib only, then the
modules named on the command line). Prints one JSON line: python/torch versions, CUDA, and the
modules that fail to import with their error."""
import importlib
import json
import sys


def main():
    modules = json.loads(sys.argv[1])
    report = {"python": sys.version.split()[0], "import_errors": {}}
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # any failure to import is what the probe reports
            text = str(exc).strip().splitlines()
            report["import_errors"][name] = "%s: %s" % (type(exc).__name__, text[-1] if text else "")
    if "torch" not in report["import_errors"]:
        import torch
        report["torch"] = torch.__version__
        report["cuda_available"] = bool(torch.cuda.is_available())
        report["cuda_devices"] = torch.cuda.device_count() if report["cuda_available"] else 0
    print(json.dumps(report))


if __name__ == "__main__":
    main()
