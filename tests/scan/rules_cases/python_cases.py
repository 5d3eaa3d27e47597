# Cases for LeadForge's semgrep rules: `ruleid: X` says the next line must be flagged by X, `ok: X` says it must not.
import os
import pickle
import ssl
import subprocess
import tarfile
import tempfile

import requests
import yaml


def cases(cmd, data, path):
    # ruleid: leadforge.python.eval-exec
    eval(data)
    # ok: leadforge.python.eval-exec
    eval("1 + 1")
    # ruleid: leadforge.python.eval-exec
    exec(compile(data, "x", "exec"))
    # ruleid: leadforge.python.subprocess-shell-true
    subprocess.run(cmd, shell=True)
    # ok: leadforge.python.subprocess-shell-true
    subprocess.run(["git", "log"], check=True)
    # ruleid: leadforge.python.os-system
    os.system(cmd)
    # ruleid: leadforge.python.yaml-unsafe-load
    yaml.load(data)
    # ruleid: leadforge.python.yaml-unsafe-load
    yaml.load(data, Loader=yaml.Loader)
    # ok: leadforge.python.yaml-unsafe-load
    yaml.load(data, Loader=yaml.SafeLoader)
    # ok: leadforge.python.yaml-unsafe-load
    yaml.safe_load(data)
    # ruleid: leadforge.python.pickle-load
    pickle.loads(data)
    # ruleid: leadforge.python.tls-verify-disabled
    requests.get(path, verify=False)
    # ok: leadforge.python.tls-verify-disabled
    requests.get(path, timeout=5)
    # ruleid: leadforge.python.tls-verify-disabled
    ssl._create_unverified_context()
    # ruleid: leadforge.python.tempfile-mktemp
    tempfile.mktemp()
    # ruleid: leadforge.python.tarfile-extractall
    tarfile.open(path).extractall("out")
    # ok: leadforge.python.tarfile-extractall
    tarfile.open(path).extractall("out", filter="data")


# ruleid: leadforge.python.hardcoded-credential
DATABASE_PASSWORD = "hunter2hunter2"
# ruleid: leadforge.python.hardcoded-credential
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
# ok: leadforge.python.hardcoded-credential
PASSWORD_FIELD = "password"
# ok: leadforge.python.hardcoded-credential
API_TOKEN = os.environ["API_TOKEN"]
# ok: leadforge.python.hardcoded-credential
token = ""
