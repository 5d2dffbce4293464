// Error responses for the OpenAPI document: every route may answer these with `{ error, message }`.
import { apiErrorSchema } from '../../contracts/api.ts'

const errorResponse = apiErrorSchema

export const COMMON_ERRORS = {
  400: errorResponse.describe('a parameter is unknown or malformed; the message names it'),
  401: errorResponse.describe('missing or wrong bearer token'),
  429: errorResponse.describe('rate limited; see Retry-After'),
  503: errorResponse.describe('the database (or bus) is unavailable, or the query took too long'),
} as const

export const NOT_FOUND = { 404: errorResponse.describe('no such resource') } as const
