"""The K8TRE CrossGuard policy pack: every rule in k8tre.policies, as a stack validation policy.

Run with ``pulumi preview --policy-pack policy`` (CI does this on every pull request).
The adapter (``k8tre.policies.crossguard``) makes pulumi-policy keep the engine's secret
marks and reports what a preview cannot know per resource instead of skipping rules.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyPack

from k8tre.policies.crossguard import keep_secrets, policies

keep_secrets()
PolicyPack(name="k8tre-satre", enforcement_level=EnforcementLevel.MANDATORY, policies=list(policies()))
