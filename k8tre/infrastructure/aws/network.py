"""The environment's VPC: private subnets for nodes, egress through NAT gateways in small public subnets."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_aws as aws

from ...config import AwsClusterConfig
from ...stage import Stage


class VpcNetwork(pulumi.ComponentResource):
    """Private node subnets per zone; the only way out is a NAT gateway, the only way in is an internal LB."""

    private_subnets: list[aws.ec2.Subnet]
    """Where nodes and internal load balancers live."""

    def __init__(self, name: str, config: AwsClusterConfig, stage: Stage, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k8tre:infrastructure:VpcNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(stage.tags)
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": f"vpc-{stage.slug}"},
            opts=child,
        )
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOutputOptions(parent=self))
        # Eighths of the VPC: the first per zone for nodes, then one small public subnet per zone for NAT only.
        ranges = list(ipaddress.ip_network(config.vpc_cidr).subnets(prefixlen_diff=3))
        count = config.availability_zones
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags, opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags=tags,
            opts=child,
        )
        # One NAT per zone in prod, so losing a zone does not cut the others off; one in dev and stg.
        nat_zones = range(count) if stage.is_prod else range(1)
        nats = []
        for index in nat_zones:
            public = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=vpc.id,
                cidr_block=str(ranges[count + index]),
                availability_zone=zones.names[index],
                map_public_ip_on_launch=False,
                tags={**tags, "k8tre.io/purpose": "nat-only"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}-rt", subnet_id=public.id, route_table_id=public_routes.id, opts=child
            )
            address = aws.ec2.Eip(f"{name}-nat-{index}-ip", domain="vpc", tags=tags, opts=child)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    subnet_id=public.id,
                    allocation_id=address.id,
                    tags=tags,
                    # AWS: "the NAT gateway ... depends on the internet gateway" for the VPC to reach the internet
                    # (https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-scenarios.html); Pulumi sees no
                    # reference between them, so the order is stated.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                )
            )
        self.private_subnets = []
        self.private_route_tables: list[aws.ec2.RouteTable] = []
        for index in range(count):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                cidr_block=str(ranges[index]),
                availability_zone=zones.names[index],
                map_public_ip_on_launch=False,
                tags={**tags, "kubernetes.io/role/internal-elb": "1"},
                opts=child,
            )
            routes = aws.ec2.RouteTable(
                f"{name}-private-{index}-rt",
                vpc_id=vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nats[index % len(nats)].id}],
                tags=tags,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}-assoc", subnet_id=subnet.id, route_table_id=routes.id, opts=child
            )
            self.private_subnets.append(subnet)
            self.private_route_tables.append(routes)
        self.vpc = vpc
        self.register_outputs({"vpcId": vpc.id})
