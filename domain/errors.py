"""The small hierarchy of domain errors: each names the rule that refused a command."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused by a rule of the domain."""

    rule = "domain_rule"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CaseClosed(DomainError):
    rule = "nothing_happens_on_a_closed_case_except_complaints_and_feedback"


class UnknownParticipant(DomainError):
    rule = "participant_must_be_on_the_case"


class WrongParticipantRole(DomainError):
    rule = "participant_must_have_the_role_the_step_needs"


class ActivityPrerequisiteMissing(DomainError):
    rule = "no_activity_without_responsibility_consent_and_assessment"


class ConsentOrAssessmentLapsed(ActivityPrerequisiteMissing):
    rule = "consent_and_assessment_hold_until_the_activity"


class EnhancedAssessmentRequired(DomainError):
    rule = "sensitive_crime_cases_need_an_enhanced_assessment"


class ReasonRequired(DomainError):
    rule = "this_step_needs_a_reason"


class InvalidTransition(DomainError):
    rule = "step_not_allowed_in_the_current_state"


class DuplicateEntity(DomainError):
    rule = "ids_are_unique_within_an_aggregate"


class AgreementRuleViolation(DomainError):
    rule = "information_sharing_agreement_rule"


class UnknownAggregate(DomainError):
    rule = "commands_name_an_existing_aggregate"


class AlreadyExists(DomainError):
    rule = "an_aggregate_is_created_once"


class AgencyNotPermitted(DomainError):
    rule = "an_agency_sends_only_the_commands_its_role_allows"


class NotAParty(AgreementRuleViolation):
    rule = "only_a_party_drafts_signs_activates_suspends_resumes_terminates_or_reviews"


class GrantOutsideParties(AgreementRuleViolation):
    rule = "a_grant_is_between_two_named_parties"


class UnknownAgency(DomainError):
    rule = "an_agency_code_names_a_known_agency"


class UnknownCode(DomainError, ValueError):
    """A code in a command (agency, PCC area, prison) that the reference data does not know.

    Also a ``ValueError``, so pydantic reports it as a validation error of the field and keeps
    this exception (with its rule) in the error's context.
    """

    rule = "every_code_in_a_command_names_reference_data"


class PrisonerMergeRefused(DomainError):
    rule = "a_prisoner_merge_names_two_different_prison_numbers"


class AgencyNotOnCase(DomainError):
    rule = "an_agency_acts_on_a_case_only_in_its_area_or_when_it_is_on_the_case"


class AdministratorRequired(DomainError):
    rule = "only_an_administrator_registers_agencies"
