// Settings: the audit log.
import { Table, Text } from '@mantine/core';
import { useAudit } from './hooks';
import { dateTime } from '../../components/format';
import { Loaded, Section } from './parts';

export function AuditSection() {
  const audit = useAudit();
  return (
    <Section title="Audit log">
      <Loaded q={audit}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">Nothing recorded yet.</Text>
          ) : (
            <Table aria-label="Audit log" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Who</Table.Th>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Object</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((a) => (
                  <Table.Tr key={a.id}>
                    <Table.Td>{dateTime(a.createdAt)}</Table.Td>
                    <Table.Td>{a.actor.name ?? a.actor.type}</Table.Td>
                    <Table.Td>{a.action}</Table.Td>
                    <Table.Td>
                      {a.objectType} {a.objectId ?? ''}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}
