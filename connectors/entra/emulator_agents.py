"""Graph's beta Agent ID governance on the wire: agent identity lifecycle (attestation) and agent registry instances."""

from __future__ import annotations

from connectors.entra.emulator_model import AgentInstance, ServicePrincipal
from connectors.entra.emulator_wire import Json, iso

LIFECYCLE_TYPE = "microsoft.graph.identityGovernance.agentIdentityLifecycle"
INSTANCE_TYPE = "microsoft.graph.agentInstance"


def lifecycle_json(s: ServicePrincipal) -> Json:
    """An agent identity's lifecycle (beta), shaped like Graph's GET /servicePrincipals/{id}/lifecycle example."""
    state = s.lifecycle
    issues = state.compliance_issues if state else ()
    policy = state.governing_policy_id if state else None
    return {
        "@odata.type": f"#{LIFECYCLE_TYPE}",
        "id": s.id,
        "lastAttestationDateTime": iso(state.last_attestation) if state else None,
        "effectiveGoverningPolicy": {"id": policy} if policy else None,
        "complianceIssues": [
            {
                "@odata.type": "#microsoft.graph.identityGovernance.attestationComplianceIssue",
                "issueCode": i.issue_code,
                "description": i.description,
                "governingPolicyReferenceId": i.governing_policy_id or policy,
                "ruleType": i.rule_type,
                "attestationBlockReasons": list(i.block_reasons),
            }
            for i in issues
        ],
    }


def agent_instance_json(a: AgentInstance) -> Json:
    """A beta agentInstance of the agent registry."""
    return {
        "id": a.id,
        "ownerIds": list(a.owner_ids),
        "managedBy": a.managed_by,
        "originatingStore": a.originating_store,
        "createdBy": a.created_by,
        "displayName": a.display_name,
        "sourceAgentId": a.source_agent_id,
        "agentIdentityBlueprintId": a.agent_identity_blueprint_id,
        "agentIdentityId": a.agent_identity_id,
        "agentUserId": a.agent_user_id,
        "createdDateTime": iso(a.created),
        "lastModifiedDateTime": iso(a.created),
        "url": a.url,
        "preferredTransport": "JSONRPC" if a.url else None,
        "additionalInterfaces": [],
        "signatures": [],
    }
