// The Bus contract suite against the memory bus (no outside service: a plain unit test file).
import { describeBusContract } from '../../../test/contract/bus-contract.ts'
import { createMemoryBus } from './memory-bus.ts'

describeBusContract('memory bus', async () => {
  const bus = createMemoryBus()
  return { bus, topicPrefix: 'contract.', cleanup: () => bus.close() }
})
