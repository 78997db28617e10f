"""AWS (pulumi-aws) as the provider answers: ids and ARNs in the provider's region, EKS endpoints.

Region: the provider's ``aws:region`` (https://www.pulumi.com/registry/packages/aws/installation-configuration/).
ARNs: ``arn:aws:<service>:<region>:<account>:<resource>`` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html);
IAM is global, so its ARNs have no region. Resource ids carry the EC2 prefixes
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html: 17 hex digits after the prefix).
EKS endpoints and OIDC issuers have the shapes in the EKS API reference (``DescribeCluster``).
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi.runtime import MockCallArgs, MockResourceArgs

from .aws_more import MORE
from .common import AWS_ACCOUNT, CA_DATA, MockMissing, Outputs, autoname, stable_hex, stable_uuid

# type -> (physical id prefix, ARN resource part or "" when the type has no ARN)
_EC2 = {
    "aws:ec2/vpc:Vpc": ("vpc-", "vpc/{id}"),
    "aws:ec2/subnet:Subnet": ("subnet-", "subnet/{id}"),
    "aws:ec2/internetGateway:InternetGateway": ("igw-", "internet-gateway/{id}"),
    "aws:ec2/natGateway:NatGateway": ("nat-", "natgateway/{id}"),
    "aws:ec2/routeTable:RouteTable": ("rtb-", "route-table/{id}"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("rtbassoc-", ""),
    "aws:ec2/eip:Eip": ("eipalloc-", "elastic-ip/{id}"),
    "aws:ec2/securityGroup:SecurityGroup": ("sg-", "security-group/{id}"),
}
_OTHERS = {
    "aws:iam/role:Role",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/key:Key",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup",
    "aws:eks/addon:Addon",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:efs/fileSystem:FileSystem",
    "aws:efs/mountTarget:MountTarget",
    "aws:route53/zone:Zone",
    "aws:s3/bucket:Bucket",
    "aws:secretsmanager/secret:Secret",
    "aws:secretsmanager/secretVersion:SecretVersion",
}
_BUCKET_SETTINGS = {
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
}
"""A bucket's separate settings resources: the provider identifies each by the bucket's name."""


class AwsMocks:
    """The aws provider for one run, in the region the stack configures."""

    def __init__(self, config: Mapping[str, str]) -> None:
        self.region = config.get("aws:region", "")

    def handles(self, token: str) -> bool:
        """True for the AWS resource types modelled here."""
        return token in _EC2 or token in _OTHERS or token in _BUCKET_SETTINGS or token in MORE

    def _region(self, what: str) -> str:
        if not self.region:
            raise MockMissing(f"{what}: the stack sets no aws:region, and the AWS provider needs one")
        return self.region

    def new_resource(self, args: MockResourceArgs) -> tuple[str, Outputs]:
        """Id and state for one resource, computed from its inputs and the region."""
        inputs, region = dict(args.inputs), self._region(args.typ)
        if args.typ in MORE:
            return MORE[args.typ](args, region)
        if args.typ in _EC2:
            prefix, arn = _EC2[args.typ]
            ident = prefix + "0" + stable_hex(args.typ + args.name, 16)
            outputs: Outputs = {**inputs, "id": ident}
            if arn:
                outputs["arn"] = f"arn:aws:ec2:{region}:{AWS_ACCOUNT}:" + arn.format(id=ident)
            if args.typ == "aws:ec2/eip:Eip":
                # AWS assigns the address from its pool; this one is from the documentation range (RFC 5737).
                outputs |= {"allocationId": ident, "publicIp": f"203.0.113.{int(stable_hex(args.name, 2), 16) % 254 + 1}"}
            return ident, outputs
        if args.typ in _BUCKET_SETTINGS:
            return str(inputs["bucket"]), inputs
        kind = args.typ.rsplit(":", 1)[-1]
        if kind == "Bucket":
            return self._bucket(args.name, inputs, region)
        if kind == "RolePolicy":
            name = inputs.get("name") or autoname(args.name)
            return f"{inputs['role']}:{name}", {**inputs, "name": name}
        if kind == "Role":
            name = inputs.get("name") or autoname(args.name)
            return name, {
                **inputs,
                "name": name,
                "arn": f"arn:aws:iam::{AWS_ACCOUNT}:role/{name}",
                "uniqueId": "AROA" + stable_hex(name, 17).upper(),
            }
        if kind == "RolePolicyAttachment":
            return autoname(f"{inputs['role']}"), inputs
        if kind == "Key":
            key = stable_uuid(args.name)
            return key, {**inputs, "keyId": key, "arn": f"arn:aws:kms:{region}:{AWS_ACCOUNT}:key/{key}"}
        if kind == "LogGroup":
            name = inputs.get("name") or autoname(args.name)
            return name, {**inputs, "name": name, "arn": f"arn:aws:logs:{region}:{AWS_ACCOUNT}:log-group:{name}"}
        if kind == "Cluster":
            return self._cluster(args.name, inputs, region)
        if kind == "Zone":
            return self._zone(args.name, inputs)
        if kind == "RolePolicy":
            # IAM names an inline policy within its role; the provider's id is "<role>:<policy>".
            name = inputs.get("name") or autoname(args.name)
            return f"{inputs['role']}:{name}", {**inputs, "name": name}
        if kind in ("FileSystem", "MountTarget"):
            return self._efs(kind, args.name, inputs, region)
        if kind in ("Secret", "SecretVersion"):
            return self._secret(kind, args.name, inputs, region)
        cluster = inputs["clusterName"]
        if kind == "PodIdentityAssociation":
            # EKS names associations "a-" and 17 lower-case characters (EKS API reference, PodIdentityAssociation).
            ident = "a-" + stable_hex(f"{cluster}/{inputs['namespace']}/{inputs['serviceAccount']}", 17)
            arn = f"arn:aws:eks:{region}:{AWS_ACCOUNT}:podidentityassociation/{cluster}/{ident}"
            return f"{cluster},{ident}", {**inputs, "associationId": ident, "associationArn": arn}
        if kind == "NodeGroup":
            name = inputs.get("nodeGroupName") or autoname(args.name)
            arn = f"arn:aws:eks:{region}:{AWS_ACCOUNT}:nodegroup/{cluster}/{name}/{stable_uuid(name)}"
            return f"{cluster}:{name}", {**inputs, "nodeGroupName": name, "arn": arn, "status": "ACTIVE"}
        addon = inputs["addonName"]
        arn = f"arn:aws:eks:{region}:{AWS_ACCOUNT}:addon/{cluster}/{addon}/{stable_uuid(addon + cluster)}"
        return f"{cluster}:{addon}", {**inputs, "arn": arn}

    def _efs(self, kind: str, logical: str, inputs: Outputs, region: str) -> tuple[str, Outputs]:
        """EFS ids (``fs-``/``fsmt-`` and 17 hex digits) and the file system's DNS name and ARN (EFS API reference)."""
        if kind == "FileSystem":
            ident = "fs-0" + stable_hex(logical, 16)
            return ident, {
                **inputs,
                "id": ident,
                "arn": f"arn:aws:elasticfilesystem:{region}:{AWS_ACCOUNT}:file-system/{ident}",
                "dnsName": f"{ident}.efs.{region}.amazonaws.com",
            }
        ident = "fsmt-0" + stable_hex(logical, 16)
        return ident, {
            **inputs,
            "id": ident,
            "fileSystemArn": f"arn:aws:elasticfilesystem:{region}:{AWS_ACCOUNT}:file-system/{inputs['fileSystemId']}",
        }

    def _bucket(self, logical: str, inputs: Outputs, region: str) -> tuple[str, Outputs]:
        # S3 ARNs carry neither region nor account (bucket names are global); the regional domain is the
        # virtual-hosted endpoint (S3 docs, "Virtual hosting of general purpose buckets").
        name = inputs.get("bucket") or autoname(logical)
        return name, {
            **inputs,
            "bucket": name,
            "arn": f"arn:aws:s3:::{name}",
            "region": region,
            "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        }

    def caller_identity(self, args: MockCallArgs) -> Outputs:
        """``getCallerIdentity``: the offline deployer's account."""
        return {
            "accountId": AWS_ACCOUNT,
            "arn": f"arn:aws:iam::{AWS_ACCOUNT}:user/deployer",
            "userId": "AIDA" + stable_hex("deployer", 17).upper(),
            "id": AWS_ACCOUNT,
        }

    def _cluster(self, logical: str, inputs: Outputs, region: str) -> tuple[str, Outputs]:
        name = inputs.get("name") or autoname(logical)
        endpoint_id = stable_hex(f"{region}/{name}", 32).upper()
        return name, {
            **inputs,
            "name": name,
            "arn": f"arn:aws:eks:{region}:{AWS_ACCOUNT}:cluster/{name}",
            "endpoint": f"https://{endpoint_id}.gr7.{region}.eks.amazonaws.com",
            "certificateAuthority": {"data": CA_DATA},
            "status": "ACTIVE",
            "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{endpoint_id}"}]}],
        }

    def _zone(self, logical: str, inputs: Outputs) -> tuple[str, Outputs]:
        """A hosted zone: ``Z`` and upper-case characters, a global ARN, and for a public zone its four name servers.

        Route 53 ARNs have no region or account (``arn:aws:route53:::hostedzone/<id>``, Service Authorization
        Reference); a public zone gets a delegation set of four ``awsdns`` servers in four top-level domains
        (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-working-with.html).
        """
        zone_id = "Z0" + stable_hex(f"{logical}/{inputs.get('name')}", 19).upper()
        outputs: Outputs = {**inputs, "zoneId": zone_id, "arn": f"arn:aws:route53:::hostedzone/{zone_id}"}
        if not inputs.get("vpcs"):
            number = int(stable_hex(zone_id, 3), 16)
            outputs["nameServers"] = [
                f"ns-{(number + i * 512) % 2048}.awsdns-{(number + i) % 64:02d}.{tld}"
                for i, tld in enumerate(("com", "net", "org", "co.uk"))
            ]
            outputs["primaryNameServer"] = outputs["nameServers"][0]
        return zone_id, outputs

    def _secret(self, kind: str, logical: str, inputs: Outputs, region: str) -> tuple[str, Outputs]:
        """Secrets Manager: ids and ARNs as the provider reports them.

        A secret's id is its ARN, its name plus ``-`` and six random characters (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources);
        a version's id is ``<secret ARN>|<version id>`` and it becomes ``AWSCURRENT``
        (pulumi-aws docs, secretsmanager.SecretVersion).
        """
        if kind == "Secret":
            name = inputs.get("name") or autoname(logical)
            arn = f"arn:aws:secretsmanager:{region}:{AWS_ACCOUNT}:secret:{name}-{stable_hex(name, 6)}"
            return arn, {**inputs, "name": name, "arn": arn}
        version = stable_uuid(f"{inputs['secretId']}|{logical}")
        outputs = {**inputs, "arn": inputs["secretId"], "versionId": version, "versionStages": ["AWSCURRENT"]}
        return f"{inputs['secretId']}|{version}", outputs

    def availability_zones(self, args: MockCallArgs) -> Outputs:
        """``getAvailabilityZones``: zones named after the region (``<region>a``, ``b``, ``c``).

        Every AWS commercial region has at least three zones
        (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html); which
        physical zone a letter maps to differs per account, so zone ids are not modelled.
        """
        region = self._region("getAvailabilityZones")
        return {"names": [f"{region}{letter}" for letter in "abc"], "id": region, "state": args.args.get("state")}
