"""Network flows: the one place policy semantics live.

``evaluate`` decides whether a flow (a pod to a pod, an entity, a name or an address,
on a port and protocol) is allowed by the rendered Cilium and Kubernetes network
policies; ``matrix`` runs the flows each component declares against a render. The
evaluator modules (``model``, ``selectors``, ``policies``, ``evaluate``) are plain
functions over plain data: no Pulumi, no render engine, so every layer may use them.
"""
