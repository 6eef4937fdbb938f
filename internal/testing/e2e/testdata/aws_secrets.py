"""Create, change and delete Secrets Manager secrets and SSM parameters
with boto3, as a user would. The operations come as a JSON list on stdin:

  {"op": "create", "name": "/app/env/path", "string": "..."}
  {"op": "create", "name": "...", "binary": "<base64>"}  (SecretBinary)
  {"op": "put", "name": "...", "string": "..."}           (PutSecretValue)
  {"op": "delete", "name": "..."}                          (scheduled deletion)
  {"op": "ssm-put", "name": "...", "string": "...", "type": "SecureString"}
                                        (PutParameter, overwriting; type
                                        String, StringList or SecureString)
  {"op": "ssm-delete", "name": "..."}                      (DeleteParameter)

The endpoint, region and credentials come from the environment
(AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, ...).
"""

import base64
import json
import sys

import boto3


def main():
    client = boto3.client("secretsmanager")
    ssm = boto3.client("ssm")
    for op in json.load(sys.stdin):
        name = op["name"]
        if op["op"] == "ssm-put":
            ssm.put_parameter(Name=name, Value=op["string"], Type=op["type"], Overwrite=True)
        elif op["op"] == "ssm-delete":
            ssm.delete_parameter(Name=name)
        elif op["op"] == "create":
            if "binary" in op:
                client.create_secret(Name=name, SecretBinary=base64.b64decode(op["binary"]))
            else:
                client.create_secret(Name=name, SecretString=op["string"])
        elif op["op"] == "put":
            client.put_secret_value(SecretId=name, SecretString=op["string"])
        elif op["op"] == "delete":
            client.delete_secret(SecretId=name)
        else:
            sys.exit("aws_secrets.py: unknown op " + op["op"])


if __name__ == "__main__":
    main()
